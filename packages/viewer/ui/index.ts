// The viewer's browser API: mount it on an element with a compile trace; the timeline's profile type.

export { type Tab, type ViewerHandle, type ViewerOptions, mountViewer } from './viewer.ts';
export type { Profile } from './timeline-view.ts';
export { el, bytes, human } from './dom.ts';
