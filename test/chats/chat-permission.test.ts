import { readChatView, refusalFor } from '../../server/chats/chat-permission';

// im.dialog.get's view of a group chat the user may change (api-reference/chats/im-dialog-get.md).
const changeable = {
  type: 'chat',
  entity_type: '',
  role: 'member',
  restrictions: { avatar: true },
  permissions: { manage_ui: 'member' },
};
const decide = (answer: unknown) => refusalFor(readChatView(answer));

describe('who may change a chat, from im.dialog.get', () => {
  it('allows a member when manage_ui is member and the avatar is not restricted', () => {
    expect(decide(changeable)).toBeNull();
    expect(decide({ ...changeable, entity_type: null })).toBeNull();
  });

  it('follows the role against manage_ui: member < manager < owner', () => {
    expect(decide({ ...changeable, permissions: { manage_ui: 'owner' } })).toBe('CHAT_OWNER_ONLY');
    expect(decide({ ...changeable, permissions: { manage_ui: 'manager' } })).toBe('CHAT_MANAGERS_ONLY');
    expect(decide({ ...changeable, role: 'manager', permissions: { manage_ui: 'manager' } })).toBeNull();
    expect(decide({ ...changeable, role: 'owner', permissions: { manage_ui: 'owner' } })).toBeNull();
  });

  it('locks the general chat, channels and chats bound to a workgroup or CRM record', () => {
    expect(decide({ ...changeable, type: 'general' })).toBe('CHAT_AVATAR_LOCKED');
    expect(decide({ ...changeable, type: 'channel' })).toBe('CHAT_AVATAR_LOCKED');
    expect(decide({ ...changeable, entity_type: 'SONET_GROUP' })).toBe('CHAT_AVATAR_LOCKED');
  });

  it('reads anything missing or odd as absent, and absent never allows', () => {
    expect(decide({ ...changeable, restrictions: { avatar: 'Y' } })).toBe('CHAT_AVATAR_LOCKED');
    expect(decide({ ...changeable, restrictions: undefined })).toBe('CHAT_AVATAR_LOCKED');
    expect(decide({ ...changeable, entity_type: 7 })).toBe('CHAT_AVATAR_LOCKED');
    expect(decide({ ...changeable, role: undefined })).toBe('NOT_CHAT_MEMBER');
    expect(decide({ ...changeable, role: 3 })).toBe('NOT_CHAT_MEMBER');
    expect(decide({ ...changeable, permissions: { manage_ui: 1 } })).toBe('CHAT_OWNER_ONLY');
    expect(decide({ ...changeable, permissions: undefined })).toBe('CHAT_OWNER_ONLY');
    expect(decide(null)).toBe('CHAT_AVATAR_LOCKED');
    expect(decide('chat12')).toBe('CHAT_AVATAR_LOCKED');
  });
});
