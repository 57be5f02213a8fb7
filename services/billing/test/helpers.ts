export { eventually, startTestKeys } from '@flix/testkit';

