// The seed every portal starts with, by name, for tests and the portal's own pages.
/** Anna Admin: a portal administrator; owns most chats. */
export const ADMIN_USER_ID = 1;
/** Boris User: a plain user, member of Marketing, Sales team and Announcements; owns Sales team. */
export const PLAIN_USER_ID = 2;
/** Clara Outsider: a plain user outside Marketing and the Board. */
export const OUTSIDER_USER_ID = 3;

export const GENERAL_CHAT_ID = 1;
export const PRIVATE_DIALOG_ID = 2;
/** Anna's, with Boris: any member may change its look. */
export const MARKETING_CHAT_ID = 12;
/** Boris's, with Anna and Clara. */
export const SALES_CHAT_ID = 14;
/** Anna's alone; only its owner changes its look or adds members. */
export const BOARD_CHAT_ID = 16;
/** A title full of HTML, for escaping tests. */
export const MARKUP_CHAT_ID = 18;
export const ANNOUNCEMENTS_CHAT_ID = 20;
export const WORKGROUP_CHAT_ID = 22;
export const CHANNEL_ID = 24;
/** Projects 01 to 60 (ids 100 to 159): long enough for the chat list to page. */
export const FIRST_PROJECT_CHAT_ID = 100;
export const PROJECT_CHAT_COUNT = 60;
/**
 * The company seed (a portal started with `seed: 'company'`), for many chats at once: 300 chats
 * from id 2000 whose rights for Boris follow `companyChatKind` (company-chats.ts), titles in
 * several scripts.
 */
export const FIRST_COMPANY_CHAT_ID = 2000;
export const COMPANY_CHAT_COUNT = 300;
