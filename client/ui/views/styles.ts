/** Style strings shared by the views. */

/** A section heading (People, Chat). */
export const HEADING = 'font-size: 14px; font-weight: bold; margin-top: 6px; margin-bottom: 2px;';
