import { checkUserId } from '@flix/auth';
import { DomainError } from '@flix/errors';
import type { ServiceHandlers } from '@flix/grpc';
import { decodePageToken, encodePageToken, pageSize } from '@flix/mongo';
import type { NotificationsServiceService } from '@flix/proto/flix/notifications/v1/notifications_service';
import { DeliveryStatus } from '@flix/proto/flix/notifications/v1/resources';
import type { PagePosition } from '../domain/model.js';
import type { Notifier } from '../domain/notifier.js';
import { deliveryToProto, preferencesToProto, statusFromProto } from './mappers.js';

const position = (token: string): PagePosition | undefined => {
  const p = decodePageToken(token);
  if (!p) return undefined;
  if (typeof p.t !== 'number' || typeof p.id !== 'string')
    throw new DomainError('invalid_argument', 'INVALID_PAGE_TOKEN', 'pageToken: not a token this API returned', [{ field: 'pageToken', description: 'not a token this API returned' }]);
  return { t: p.t, id: p.id };
};

/** The gRPC face of notifications: translate messages, call the domain, translate back. */
export function notificationsHandlers(notifier: Notifier): ServiceHandlers<typeof NotificationsServiceService> {
  return {
    async getNotificationPreferences(_req, ctx) {
      return preferencesToProto(await notifier.getPreferences(ctx.principal));
    },
    async updateNotificationPreferences(req, ctx) {
      const p = req.preferences;
      const prefs = await notifier.updatePreferences(ctx.principal, { reminders: p?.reminders, productNews: p?.productNews, transactionalCategories: p?.transactionalCategories }, req.updateMask ?? []);
      return preferencesToProto(prefs);
    },
    async unsubscribe(req) {
      return notifier.unsubscribe(req.token);
    },
    async listDeliveries(req, ctx) {
      const status = statusFromProto(req.status);
      if (req.status !== DeliveryStatus.DELIVERY_STATUS_UNSPECIFIED && !status)
        throw new DomainError('invalid_argument', 'INVALID_ARGUMENT', 'status: not a delivery status', [{ field: 'status', description: 'not a delivery status' }]);
      const page = await notifier.listDeliveries(
        ctx.principal,
        { userId: req.userId ? checkUserId(req.userId) : undefined, status, template: req.template || undefined },
        pageSize(req.pageSize, 50, 200),
        position(req.pageToken),
      );
      return { deliveries: page.items.map(deliveryToProto), nextPageToken: page.next ? encodePageToken({ t: page.next.t, id: page.next.id }) : '' };
    },
  };
}
