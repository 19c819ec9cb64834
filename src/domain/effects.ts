/**
 * What a reset does on the device, by effect (DOMAIN.md §1; Learn, "Reset or remove a device passcode"): the words
 * the approver, the ticket and the email read. Android Enterprise dedicated, fully managed (Device Owner) and AOSP
 * devices get a device passcode reset; work-profile enrollments a work-profile passcode reset; iOS/iPadOS a removal.
 */

export type PasscodeEffect = 'device_passcode_reset' | 'work_profile_passcode_reset' | 'passcode_removed';

/** What each effect does, in plain words. */
export const EFFECT_DESCRIPTIONS: Readonly<Record<PasscodeEffect, string>> = {
  device_passcode_reset: 'The reset changes the device passcode: the screen lock of the whole device. The new passcode is shown in the Intune admin center and is entered on the device.',
  work_profile_passcode_reset: 'The reset changes the work-profile passcode only, not the screen lock of the device. The user is then asked to activate the new work-profile passcode.',
  passcode_removed: 'The passcode is removed, not reset: no new passcode is made, and the user sets one on the device.',
};

/** The effect's description, or undefined for a value that is not a known effect (stored data is plain text). */
export function describeEffect(effect: string | undefined): string | undefined {
  return effect !== undefined && Object.hasOwn(EFFECT_DESCRIPTIONS, effect) ? EFFECT_DESCRIPTIONS[effect as PasscodeEffect] : undefined;
}
