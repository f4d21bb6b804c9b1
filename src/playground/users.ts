/** The people of the playground: a requester and two approvers, so four-eyes approvals can be tried. */
export interface PlaygroundUser {
  id: string;
  name: string;
  realName: string;
  role: string;
}

export const PLAYGROUND_USERS: PlaygroundUser[] = [
  { id: 'U0ALICE', name: 'alice', realName: 'Alice Example', role: 'pipeline engineer (requester)' },
  { id: 'U0BOB', name: 'bob', realName: 'Bob Example', role: 'approver (lead)' },
  { id: 'U0CAROL', name: 'carol', realName: 'Carol Example', role: 'approver (data owner)' },
];

/** User groups the catalog may name (`permissions.run.prod: [S0DATAENG]`). */
export const PLAYGROUND_USERGROUPS: Record<string, string[]> = { S0DATAENG: ['U0ALICE'] };
