import { api, events, type ApiMethod, type EventName } from '../../electron/contract/api';
import { ApiError } from './errors';

function describeIssues(error: { issues: { path: PropertyKey[]; message: string }[] }): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length ? `${issue.path.map(String).join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** Checks a call's input before it leaves the renderer, so a mistake fails here with a readable message. */
export function checkInput(method: ApiMethod, input: unknown): unknown {
  const parsed = api[method].input.safeParse(input);
  if (!parsed.success) throw new ApiError('bad_request', `Invalid input for ${method}: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** Checks what came back over the boundary against the contract. */
export function checkOutput(method: ApiMethod, output: unknown): unknown {
  const parsed = api[method].output.safeParse(output);
  if (!parsed.success) {
    throw new ApiError('bad_response', `The app sent an unexpected reply to ${method}: ${describeIssues(parsed.error)}`);
  }
  return parsed.data;
}

/** Event payloads that do not match the contract are dropped (and logged) rather than reaching the UI. */
export function parseEvent(event: EventName, payload: unknown): { ok: true; value: unknown } | { ok: false } {
  const parsed = events[event].safeParse(payload);
  if (parsed.success) return { ok: true, value: parsed.data };
  console.warn(`Dropped a malformed ${event} event: ${describeIssues(parsed.error)}`);
  return { ok: false };
}
