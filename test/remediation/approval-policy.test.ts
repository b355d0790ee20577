import { describe, expect, it, vi } from 'vitest';
import { decideApproval, type DecideApprovalInput } from '../../lib/remediation/index.ts';

const NOW = Date.parse('2025-05-01T12:00:00Z');
const base = (over: Partial<DecideApprovalInput> = {}): DecideApprovalInput => ({
  request: { state: 'requested', requestedBy: 'U_REQ', expiresAt: new Date(NOW + 60_000).toISOString() },
  approver: 'U_APP',
  approvers: { users: ['U_APP', 'U_REQ'], usergroup: null },
  isMemberOfUsergroup: async () => false,
  twoPersonRule: true,
  now: NOW,
  ...over,
});

describe('decideApproval', () => {
  it('allows a listed approver other than the requester', async () => {
    expect(await decideApproval(base())).toEqual({ decision: 'allowed' });
  });

  it('refuses self-approval under the two-person rule, allows it without', async () => {
    expect(await decideApproval(base({ approver: 'U_REQ' }))).toEqual({ decision: 'refused', reason: 'self-approval' });
    expect(await decideApproval(base({ approver: 'U_REQ', twoPersonRule: false }))).toEqual({ decision: 'allowed' });
  });

  it('refuses someone who is neither listed nor in the user group', async () => {
    const lookup = vi.fn(async () => false);
    expect(await decideApproval(base({ approver: 'U_X', approvers: { users: [], usergroup: 'S_ONCALL' }, isMemberOfUsergroup: lookup }))).toEqual({
      decision: 'refused',
      reason: 'not-an-approver',
    });
    expect(lookup).toHaveBeenCalledWith('U_X', 'S_ONCALL');
  });

  it('allows a user-group member, and does not ask Slack about listed users', async () => {
    const lookup = vi.fn(async (u: string, g: string) => u === 'U_G' && g === 'S_ONCALL');
    expect(await decideApproval(base({ approver: 'U_G', approvers: { users: [], usergroup: 'S_ONCALL' }, isMemberOfUsergroup: lookup }))).toEqual({ decision: 'allowed' });
    lookup.mockClear();
    await decideApproval(base({ approvers: { users: ['U_APP'], usergroup: 'S_ONCALL' }, isMemberOfUsergroup: lookup }));
    expect(lookup).not.toHaveBeenCalled();
  });

  it('refuses after expiry (the expiry instant included)', async () => {
    expect(await decideApproval(base({ now: NOW + 60_000 }))).toEqual({ decision: 'refused', reason: 'expired' });
    expect(await decideApproval(base({ now: new Date(NOW + 59_999) }))).toEqual({ decision: 'allowed' });
  });

  it('refuses a request that is no longer pending, whoever asks', async () => {
    for (const state of ['approved', 'denied', 'expired', 'executing', 'done', 'failed'] as const) {
      expect(await decideApproval(base({ request: { ...base().request, state } }))).toEqual({ decision: 'refused', reason: 'already-decided' });
    }
  });
});
