// Account rules that the browser needs too (no zod here: this module ships to the browser).

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 200;
