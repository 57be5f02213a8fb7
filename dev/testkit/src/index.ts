export { freePort, waitForPort } from './ports.js';
export { startNats, type NatsHandle } from './nats.js';
export { startMongo, type MongoHandle } from './mongo.js';
export { startWebhookReceiver, type ReceivedWebhook, type WebhookReceiver, type WebhookReceiverOptions } from './webhook-receiver.js';
export { startTestKeys, type TestKeys } from './test-keys.js';
export { eventually } from './eventually.js';
export { readInbox, startMailCatcher, type CaughtMail, type MailCatcher } from './mail-catcher.js';
