import { SETTING_TABLE, type SettingKey } from '../config/settings';

/**
 * A binding expression the Functions host resolves from an app setting (`%EXPORT_QUEUE%`), named from the
 * settings table. The host reads the expression from the registration at indexing, after this module has run,
 * so it need not be a literal in the source.
 */
export function settingExpression(key: SettingKey): string {
  return `%${SETTING_TABLE[key].name}%`;
}
