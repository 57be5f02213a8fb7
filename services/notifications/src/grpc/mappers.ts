import { DeliveryStatus as ProtoStatus, type Delivery as ProtoDelivery, type NotificationPreferences } from '@flix/proto/flix/notifications/v1/resources';
import { TRANSACTIONAL_CATEGORIES, type Delivery, type DeliveryStatus, type Preferences } from '../domain/model.js';
import { maskAddress } from '../domain/retry.js';

const STATUS_TO_PROTO: Record<DeliveryStatus, ProtoStatus> = {
  pending: ProtoStatus.DELIVERY_STATUS_PENDING,
  sending: ProtoStatus.DELIVERY_STATUS_SENDING,
  sent: ProtoStatus.DELIVERY_STATUS_SENT,
  failed: ProtoStatus.DELIVERY_STATUS_FAILED,
  suppressed: ProtoStatus.DELIVERY_STATUS_SUPPRESSED,
  bounced: ProtoStatus.DELIVERY_STATUS_BOUNCED,
};

/** undefined: no filter (UNSPECIFIED) or a value this build does not know. */
export function statusFromProto(s: ProtoStatus): DeliveryStatus | undefined {
  return (Object.entries(STATUS_TO_PROTO) as [DeliveryStatus, ProtoStatus][]).find(([, p]) => p === s)?.[0];
}

export function preferencesToProto(p: Preferences): NotificationPreferences {
  return { reminders: p.reminders, productNews: p.productNews, transactionalCategories: [...TRANSACTIONAL_CATEGORIES], updateTime: p.updatedAt ?? undefined };
}

export function deliveryToProto(d: Delivery): ProtoDelivery {
  return {
    id: d.id,
    userId: d.userId,
    template: d.template,
    category: d.category,
    status: STATUS_TO_PROTO[d.status] ?? ProtoStatus.DELIVERY_STATUS_UNSPECIFIED,
    recipient: maskAddress(d.to),
    subject: d.subject,
    attempts: d.attempts,
    lastError: d.lastError,
    messageId: d.messageId,
    createTime: d.createdAt,
    updateTime: d.updatedAt,
    nextAttemptTime: d.nextAttemptAt ?? undefined,
    sentTime: d.sentAt ?? undefined,
    trigger: d.trigger,
  };
}
