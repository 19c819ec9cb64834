/*
 * ResetPC: send an Intune "reset passcode" request from a ServiceNow ticket to the intake.
 *
 * Paste this whole file into the Script field of a Business Rule (see docs/integrations/servicenow.md):
 *   Table:     incident (or sc_req_item)
 *   When:      after
 *   Insert:    checked
 *   Update:    checked for incident (the Condition below limits it to a change of the device field);
 *              unchecked for sc_req_item
 *   The intake starts at most one reset per ticket: a later delivery for a ticket that already had a
 *   request is answered already_active or ignored and starts nothing. The Condition and skipStates only
 *   save those calls.
 *   Advanced:  checked
 *   Condition: for example
 *     current.category == 'mobile_passcode' && !current.u_device_serial.nil() &&
 *       (current.operation() == 'insert' || current.u_device_serial.changes())
 *
 * What it sends: POST <resetpc.intake.url> with the headers
 *   Content-Type:         application/json
 *   X-ResetPC-Timestamp:  <unix seconds>
 *   X-ResetPC-Signature:  v1=<lowercase hex HMAC-SHA256 of "<timestamp>.<body>">
 * and a JSON body { event, table, sysId, number, device, requestedBy, reason? }.
 * The intake refuses unknown fields, so send nothing else.
 *
 * Plain ES5: ServiceNow runs server scripts in Rhino, so no let/const, arrow functions, template strings
 * or String.prototype.padStart here.
 *
 * The shared secret is read from a system property of type password2 and is never logged.
 */
(function executeRule(current, previous /* null on insert */) {
  var CONFIG = {
    // System properties (System Properties > All Properties). See the set-up steps in the doc.
    urlProperty: 'resetpc.intake.url', // https://resetpc.example.com/v1/webhooks/servicenow
    secretProperty: 'resetpc.webhook.secret', // type password2; the same value as SERVICENOW_WEBHOOK_SECRET
    midServerProperty: 'resetpc.mid_server', // optional: MID Server name when the intake is not reachable directly

    // Where the device identifier is, and which kind of identifier it is:
    // 'serialNumber' (default), 'deviceName', 'id' (Intune managed device id) or 'azureADDeviceId'.
    deviceKind: 'serialNumber',
    deviceField: 'u_device_serial', // a field on the ticket (incident)
    deviceVariable: 'device_serial', // a catalog variable (sc_req_item); used when the table is sc_req_item

    // Incident states after which no request is sent (6 Resolved, 7 Closed, 8 Canceled). This saves calls:
    // the intake would answer them already_active or ignored.
    skipStates: ['6', '7', '8'],

    timeoutMs: 10000
  };

  var BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  var SERIAL = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
  var GUID = /^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$/;

  /**
   * GlideCertificateEncryption.generateMac returns the MAC in base64; the intake wants lowercase hex.
   * Decodes standard base64 (with or without padding) and returns lowercase hex.
   */
  function base64ToHex(b64) {
    var clean = String(b64).replace(/[\s=]/g, '');
    var hex = '';
    var buffer = 0;
    var bits = 0;
    for (var i = 0; i < clean.length; i++) {
      var value = BASE64.indexOf(clean.charAt(i));
      if (value < 0) throw new Error('generateMac did not return base64');
      buffer = ((buffer << 6) | value) & 0xffff;
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        var octet = (buffer >> bits) & 0xff;
        hex += (octet < 16 ? '0' : '') + octet.toString(16);
      }
    }
    return hex;
  }

  /**
   * JSON.stringify, with every non-ASCII character written as \\uXXXX. The body is then plain ASCII, so the bytes
   * ServiceNow sends are exactly the characters that were signed, whatever character set is used on the way.
   */
  function asciiJson(value) {
    return JSON.stringify(value).replace(/[\u007f-\uffff]/g, function (c) {
      return '\\u' + ('0000' + c.charCodeAt(0).toString(16)).slice(-4);
    });
  }

  /** Free text for "reason": no control characters (the intake refuses them), at most 500 characters. */
  function cleanText(text) {
    return String(text || '')
      .replace(/[\u0000-\u001f\u007f-\u009f]/g, ' ')
      .replace(/\s+/g, ' ')
      .replace(/^\s+|\s+$/g, '')
      .substring(0, 500);
  }

  /** Never pass the secret here. Braces are dropped: gs.error treats {0}, {1} ... as message parameters. */
  function logError(text) {
    gs.error(String(text).replace(/[{}]/g, ''));
  }

  function trim(text) {
    return String(text || '').replace(/^\s+|\s+$/g, '');
  }

  function readDevice() {
    if (current.getTableName() == 'sc_req_item') {
      var variable = current.variables[CONFIG.deviceVariable];
      return variable ? trim(variable.toString()) : '';
    }
    return trim(current.getValue(CONFIG.deviceField));
  }

  function deviceLooksValid(kind, value) {
    if (kind == 'serialNumber') return SERIAL.test(value);
    if (kind == 'id' || kind == 'azureADDeviceId') return GUID.test(value);
    return value.length > 0 && value.length <= 64; // deviceName: the intake checks the rest
  }

  /** The requester's email (or UPN): the incident's caller, or the item's "requested for". */
  function readRequester() {
    var user = null;
    if (current.getTableName() == 'incident') {
      user = current.caller_id.getRefRecord();
    } else if (current.isValidField('requested_for') && !current.requested_for.nil()) {
      user = current.requested_for.getRefRecord();
    } else if (current.isValidField('request')) {
      user = current.request.requested_for.getRefRecord();
    }
    if (!user || !user.isValidRecord()) return '';
    var email = trim(user.getValue('email'));
    if (email === '' && trim(user.getValue('user_name')).indexOf('@') > 0) email = trim(user.getValue('user_name'));
    return email;
  }

  var label = 'ResetPC ' + current.getValue('number') + ': ';

  if (current.getTableName() == 'incident' && CONFIG.skipStates.indexOf(String(current.getValue('state'))) >= 0) return;

  var url = trim(gs.getProperty(CONFIG.urlProperty, ''));
  var secret = String(gs.getProperty(CONFIG.secretProperty, '') || '');
  if (url === '' || secret.length < 16) {
    logError(label + 'not sent: set the system properties ' + CONFIG.urlProperty + ' and ' + CONFIG.secretProperty + ' (at least 16 characters)');
    return;
  }

  var deviceValue = readDevice();
  if (deviceValue === '' || !deviceLooksValid(CONFIG.deviceKind, deviceValue)) {
    logError(label + 'not sent: the device field does not hold a valid ' + CONFIG.deviceKind);
    return;
  }
  var requestedBy = readRequester();
  if (requestedBy === '') {
    logError(label + 'not sent: the requester has no email address');
    return;
  }

  // Keys in a fixed order; exactly the fields the intake accepts.
  var device = {};
  device[CONFIG.deviceKind] = deviceValue;
  var payload = {
    event: current.operation() == 'insert' ? 'created' : 'updated',
    table: String(current.getTableName()),
    sysId: String(current.getUniqueValue()),
    number: String(current.getValue('number')),
    device: device,
    requestedBy: requestedBy
  };
  var reason = cleanText(current.getValue('short_description'));
  if (reason !== '') payload.reason = reason; // an empty reason is refused: leave it out instead

  // Sign exactly the string that is sent as the body.
  var body = asciiJson(payload);
  var timestamp = String(Math.floor(Number(new GlideDateTime().getNumericValue()) / 1000)); // seconds, not ms
  var key = GlideStringUtil.base64Encode(secret); // generateMac takes the key base64-encoded
  var macBase64 = new GlideCertificateEncryption().generateMac(key, 'HmacSHA256', timestamp + '.' + body);
  var signature = base64ToHex(macBase64);
  if (signature.length != 64) {
    logError(label + 'not sent: unexpected HMAC length');
    return;
  }

  var request = new sn_ws.RESTMessageV2();
  request.setEndpoint(url);
  request.setHttpMethod('post');
  request.setHttpTimeout(CONFIG.timeoutMs);
  request.setRequestHeader('Content-Type', 'application/json');
  request.setRequestHeader('Accept', 'application/json');
  request.setRequestHeader('X-ResetPC-Timestamp', timestamp);
  request.setRequestHeader('X-ResetPC-Signature', 'v1=' + signature);
  request.setRequestBody(body);
  var midServer = trim(gs.getProperty(CONFIG.midServerProperty, ''));
  if (midServer !== '') request.setMIDServer(midServer);

  var status = 0;
  var responseText = '';
  var transportError = '';
  try {
    var response = request.execute();
    status = Number(response.getStatusCode());
    responseText = String(response.getBody() || '');
    if (response.haveError() && status === 0) transportError = String(response.getErrorMessage());
  } catch (e) {
    transportError = String(e && e.message ? e.message : e);
  }

  var answer = {};
  try {
    answer = JSON.parse(responseText);
  } catch (ignored) {
    answer = {};
  }

  if (status == 202 || status == 200) {
    // accepted: a new request; already_active: this ticket already has an active one; linked: another
    // ticket's active request holds the same device, this ticket was recorded on it (no second reset);
    // ignored: this ticket already had a request that has ended (a ticket starts at most one reset).
    gs.info(label + (answer.status || 'answered') + (answer.id ? ' (request ' + answer.id + ')' : '') +
      (answer.reason ? ': ' + String(answer.reason).replace(/[{}]/g, '') : ''));
    return;
  }
  if (status === 0) {
    logError(label + 'not delivered (' + transportError + '). It may or may not have arrived; send it again (a repeat starts no second reset).');
    return;
  }
  var error = answer && answer.error ? answer.error : {};
  var message = label + 'HTTP ' + status + ' ' + (error.code || '') + ': ' + (error.message || responseText.substring(0, 300));
  if (error.details && error.details.length) {
    // validation_failed names each field: "body.device: give exactly one of ...".
    var problems = [];
    for (var d = 0; d < error.details.length; d++) problems.push(error.details[d].field + ': ' + error.details[d].message);
    message += ' [' + problems.join('; ') + ']';
  }
  if (status == 503 || status == 429) message += ' (nothing was stored; send it again later)';
  logError(message);
})(current, previous);
