/**
 * Strict formats for everything user-supplied that may later reach a Graph URL or an OData filter,
 * or a ticketing system's URL. Validation is the first line; escaping at the Graph edge is the second.
 */

/** An RFC 4122-shaped GUID, as Intune managed device ids and Entra device ids are. */
export const GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

/** Serial numbers: letters, digits, dot, dash, underscore; 1–64 characters. */
export const SERIAL_NUMBER = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/**
 * Device names: letters (any script), digits, space, apostrophes, and . _ - ( ); 1–64 characters.
 * "Anna's iPhone" is a real device name, so the apostrophe is allowed and escaped in OData.
 */
export const DEVICE_NAME = /^[\p{L}\p{N}][\p{L}\p{N} '’._()-]{0,63}$/u;

/** Jira issue keys: PROJECT-123. */
export const JIRA_ISSUE_KEY = /^[A-Z][A-Z0-9_]{1,9}-[1-9][0-9]{0,9}$/;

/** ServiceNow task numbers (INC0010001, RITM0010001, …). */
export const SERVICENOW_NUMBER = /^[A-Z]{2,8}[0-9]{4,12}$/;

/** ServiceNow sys_id: 32 lowercase hex characters. */
export const SERVICENOW_SYS_ID = /^[0-9a-f]{32}$/;

/** ServiceNow table names: lowercase letters, digits, underscore. */
export const SERVICENOW_TABLE = /^[a-z][a-z0-9_]{1,79}$/;

/**
 * Free text fields (reasons): no control characters, no bidirectional controls (U+061C, U+200E, U+200F,
 * U+202A–U+202E, U+2066–U+2069: they make text display in another order than it is stored, as in "Trojan Source"
 * spoofing), and no line or paragraph separators (U+2028, U+2029: line breaks that some readers honour and others do
 * not). Letters of right-to-left scripts are fine.
 */
export const PLAIN_TEXT = /^[^\p{Cc}\u061C\u200E\u200F\u202A-\u202E\u2066-\u2069\u2028\u2029]*$/u;
