/**
 * The sandbox's HTTP control API, under /_sandbox: seed devices, script action outcomes, inject faults, read and set
 * throttle limits, and read everything the simulated Graph received. A thin layer over SandboxControl; docs/sandbox.md has
 * curl examples. The sandbox listens on loopback only and simulates a tenant: it holds nothing real.
 */
import type { FastifyInstance } from 'fastify';
import { z } from 'zod';
import { actionStateAt } from './actions';
import { registerFaultRoutes } from './control-api-faults';
import { notFound, parse, strip } from './control-http';
import type { SandboxControl } from './control';

const guid = z.string().regex(/^[0-9a-fA-F-]{36}$/, { error: 'must be a GUID' });

const actionScript = z
  .strictObject({
    outcome: z.enum(['done', 'failed', 'notSupported']),
    activeAfterMs: z.number().int().min(0),
    finalAfterMs: z.number().int().min(0),
    errorCode: z.number().int().optional(),
  })
  .refine((s) => s.activeAfterMs <= s.finalAfterMs, { error: 'must be at least activeAfterMs: an action goes active before it ends', path: ['finalAfterMs'] });

const deviceSeed = z.object({
  device: z.looseObject({ id: guid, deviceName: z.string().min(1).max(64), operatingSystem: z.string().min(1) }),
  resetScript: actionScript.optional(),
  note: z.string().max(200).optional(),
});

const throttle = z.strictObject({
  windowMs: z.number().int().min(1).optional(),
  appWrites: z.number().int().min(0).optional(),
  appRequests: z.number().int().min(0).optional(),
  tenantWrites: z.number().int().min(0).optional(),
  tenantRequests: z.number().int().min(0).optional(),
  appConfigReads: z.number().int().min(0).optional(),
  tenantConfigReads: z.number().int().min(0).optional(),
});

const propertyNames = z.array(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/, { error: 'must be a managedDevice property name' })).max(64);
const deviceFilterRules = z.strictObject({ ignored: propertyNames.optional(), contains: propertyNames.optional() });

export function registerControlApi(app: FastifyInstance, deps: { control: SandboxControl; summary: () => Record<string, unknown> }): void {
  const { control } = deps;

  app.get('/_sandbox', () => ({ ...deps.summary(), devices: control.state.devices.length }));

  app.get('/_sandbox/devices', () => control.state.devices.map((d) => ({ ...d, resetPasscodeCount: control.resetPasscodeCount(d.device.id) })));

  app.put('/_sandbox/devices/:id', (request, reply) => {
    const seed = parse(deviceSeed, request.body, reply);
    if (seed === undefined) return reply;
    const { id } = request.params as { id: string };
    if (seed.device.id !== id) return reply.code(400).send({ error: { code: 'validation_failed', message: 'the body\'s device.id must match the path' } });
    control.upsertDevice(strip({ device: seed.device, resetScript: seed.resetScript === undefined ? undefined : strip(seed.resetScript), note: seed.note }));
    return reply.code(204).send();
  });

  app.delete('/_sandbox/devices/:id', (request, reply) => {
    control.removeDevice((request.params as { id: string }).id);
    return reply.code(204).send();
  });

  app.put('/_sandbox/devices/:id/reset-script', (request, reply) => {
    const script = parse(actionScript, request.body, reply);
    if (script === undefined) return reply;
    const { id } = request.params as { id: string };
    if (control.device(id) === undefined) return notFound(reply, `no device ${id}`);
    control.scriptAction(id, strip(script));
    return reply.code(204).send();
  });

  app.get('/_sandbox/devices/:id/actions', (request) => {
    const { id } = request.params as { id: string };
    const now = control.clock.now();
    return {
      resetPasscodeCount: control.resetPasscodeCount(id),
      actions: control.deviceActions(id).map((a) => ({ actionName: a.actionName, startedAt: new Date(a.startedAt).toISOString(), state: actionStateAt(a, now).state })),
    };
  });

  app.get('/_sandbox/device-filters', () => control.deviceFilterRules);

  app.put('/_sandbox/device-filters', (request, reply) => {
    const rules = parse(deviceFilterRules, request.body, reply);
    if (rules === undefined) return reply;
    control.setDeviceFilterRules(strip(rules));
    return reply.code(204).send();
  });

  registerFaultRoutes(app, '/_sandbox', control.faults, 'Graph');

  app.get('/_sandbox/throttle', () => control.throttle.currentLimits);

  app.put('/_sandbox/throttle', (request, reply) => {
    const limits = parse(throttle, request.body, reply);
    if (limits === undefined) return reply;
    control.setThrottleLimits(strip(limits));
    return reply.code(204).send();
  });

  app.put('/_sandbox/apps/:clientId/roles', (request, reply) => {
    const roles = parse(z.array(z.string().min(1).max(100)).max(50), request.body, reply);
    if (roles === undefined) return reply;
    const { clientId } = request.params as { clientId: string };
    if (control.app(clientId) === undefined) return notFound(reply, `no app ${clientId}`);
    control.setAppRoles(clientId, roles);
    return reply.code(204).send();
  });

  app.get('/_sandbox/graph/calls', () => ({ calls: control.calls, tokenRequests: control.tokenRequests, sentMail: control.sentMail }));

  app.post('/_sandbox/records/clear', (_request, reply) => {
    control.clearRecords();
    return reply.code(204).send();
  });
}
