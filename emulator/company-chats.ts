import { ADMIN_USER_ID, COMPANY_CHAT_COUNT, FIRST_COMPANY_CHAT_ID, OUTSIDER_USER_ID, PLAIN_USER_ID } from './seed-ids';

/** A company chat as the seed gives it; state.ts takes it as one of its chats (a ChatSeed). */
export interface CompanyChat {
  id: number;
  title: string;
  type: 'chat' | 'open';
  ownerId: number;
  members: number[];
  managers: number[];
  color: string;
  manageUi: 'manager' | 'owner' | 'member';
  manageUsersAdd: 'owner' | 'member';
  entityType?: string;
  entityId?: string;
}

// The company seed: a few hundred chats of mixed rights, for changing many chats at once (the
// bench and the tests). What Boris (PLAIN_USER_ID) may do in each follows its index, so a test
// can name the chats it expects to change and those it expects refused, with the reason.

/**
 * Boris's place in company chat `index` (0-based; the chat is FIRST_COMPANY_CHAT_ID + index):
 * - `member`: a member; any member changes the look and adds members;
 * - `owner`: Boris owns it;
 * - `manager`: a manager, and managers change the look;
 * - `no-add`: a member who changes the look but may not add members (only the owner adds): the
 *   app's bot cannot be brought in by him;
 * - `owner-only`: a member; only the owner changes the look;
 * - `managers-only`: a member; only managers change the look;
 * - `outside`: not a member;
 * - `locked`: a member of a workgroup's chat, whose avatar is the workgroup's.
 */
export type CompanyChatKind =
  'member' | 'owner' | 'manager' | 'no-add' | 'owner-only' | 'managers-only' | 'outside' | 'locked';

export function companyChatKind(index: number): CompanyChatKind {
  const slot = index % 12;
  if (slot <= 5) return 'member';
  if (slot === 6) return 'owner';
  if (slot === 7) return 'manager';
  if (slot === 8) return 'no-add';
  if (slot === 9) return 'owner-only';
  if (slot === 10) return 'managers-only';
  return Math.floor(index / 12) % 2 === 0 ? 'outside' : 'locked';
}

/** The ids of the company chats of these kinds, in order. */
export function companyChatIds(...kinds: CompanyChatKind[]): number[] {
  const ids: number[] = [];
  for (let i = 0; i < COMPANY_CHAT_COUNT; i++)
    if (kinds.includes(companyChatKind(i))) ids.push(FIRST_COMPANY_CHAT_ID + i);
  return ids;
}

// Titles of every length and in several scripts, as a company's chats have them.
const NAMES = [
  'Sales',
  'Marketing Berlin',
  'Отдел продаж',
  'Бухгалтерия и финансы',
  '営業チーム',
  '开发部',
  'فريق المبيعات',
  'الموارد البشرية',
  'Ελληνικό γραφείο',
  'Customer Success — EMEA North',
  'צוות תמיכה',
  'Équipe Paris',
  'Support 24/7',
  'ศูนย์บริการลูกค้า',
  'Ω',
  '😀 Fun club',
  'Project coordination group for the annual international partner conference and exhibition',
];

const COLORS = ['#df532d', '#64a513', '#4ba984', '#4ba5c3', '#3e99ce', '#8474c8', '#1eb4aa', '#f76187'];

export function addCompanyChats(add: (chat: CompanyChat) => void): void {
  for (let i = 0; i < COMPANY_CHAT_COUNT; i++) {
    const kind = companyChatKind(i);
    const members = kind === 'outside' ? [ADMIN_USER_ID] : [ADMIN_USER_ID, PLAIN_USER_ID];
    if (i % 2 === 1) members.push(OUTSIDER_USER_ID);
    add({
      id: FIRST_COMPANY_CHAT_ID + i,
      title: `${NAMES[i % NAMES.length]} ${i + 1}`,
      type: i % 24 === 1 ? 'open' : 'chat',
      ownerId: kind === 'owner' ? PLAIN_USER_ID : ADMIN_USER_ID,
      members,
      managers: kind === 'manager' ? [PLAIN_USER_ID] : [],
      color: COLORS[i % COLORS.length]!,
      manageUi: kind === 'manager' || kind === 'managers-only' ? 'manager' : kind === 'owner-only' ? 'owner' : 'member',
      manageUsersAdd: kind === 'no-add' ? 'owner' : 'member',
      ...(kind === 'locked' ? { entityType: 'SONET_GROUP', entityId: String(100 + i) } : {}),
    });
  }
}
