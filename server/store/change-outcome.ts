/** What a change set, as its answer and its record tell it: the picture's size and format. */
export interface AvatarChangeOutcome {
  width: number;
  height: number;
  format: 'png' | 'jpeg' | 'gif' | 'webp';
  bytes: number;
}
