// Who may approve a restart or termination request. Pure apart from the injected user-group
// lookup; the caller then makes the decision stick with a conditional `transition`, which is
// what stops two approvers (or a double click) from both winning.
import type { Approvers } from '../catalog/index.ts';
import type { Approval } from '../store/index.ts';

export type ApprovalRefusal = 'not-an-approver' | 'self-approval' | 'expired' | 'already-decided';

export type ApprovalDecision = { decision: 'allowed' } | { decision: 'refused'; reason: ApprovalRefusal };

export interface DecideApprovalInput {
  request: Pick<Approval, 'state' | 'requestedBy' | 'expiresAt'>;
  /** Slack user id of the person who clicked Approve. */
  approver: string;
  approvers: Approvers;
  /** Asked only when the approver is not listed by id (it costs a Slack API call). */
  isMemberOfUsergroup: (userId: string, usergroupId: string) => Promise<boolean>;
  twoPersonRule: boolean;
  now: Date | number;
}

export async function decideApproval(input: DecideApprovalInput): Promise<ApprovalDecision> {
  const { request, approver, approvers } = input;
  const now = typeof input.now === 'number' ? input.now : input.now.getTime();
  if (request.state !== 'requested') return refused('already-decided');
  if (!(now < Date.parse(request.expiresAt))) return refused('expired');
  if (input.twoPersonRule && approver === request.requestedBy) return refused('self-approval');
  if (approvers.users.includes(approver)) return { decision: 'allowed' };
  if (approvers.usergroup !== null && (await input.isMemberOfUsergroup(approver, approvers.usergroup))) return { decision: 'allowed' };
  return refused('not-an-approver');
}

const refused = (reason: ApprovalRefusal): ApprovalDecision => ({ decision: 'refused', reason });
