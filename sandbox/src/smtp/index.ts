/** The sandbox's SMTP catcher: a real SMTP peer that keeps every parsed message. */
export { startSmtpCatcher, type CaughtMessage, type SmtpCatcher, type SmtpCatcherOptions, type SmtpRefusal } from './catcher';
