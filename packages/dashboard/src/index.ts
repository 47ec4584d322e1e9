export type {
  DashboardDecision,
  DashboardEvent,
  DashboardFeed,
  DashboardLatencyPoint,
  DashboardModelState,
  DashboardPoint,
  DashboardSla,
  DashboardState,
} from './feed/dashboard-state.js';
export {
  InMemoryDashboardFeed,
  IN_MEMORY_FEED_DEFAULTS,
  type DashboardDecisionInput,
  type DashboardTickInput,
  type InMemoryDashboardFeedOptions,
} from './feed/in-memory-dashboard-feed.js';
export { RingBuffer } from './feed/ring-buffer.js';
export {
  createDashboardHandler,
  DASHBOARD_HANDLER_DEFAULTS,
  type DashboardHandler,
  type DashboardHandlerOptions,
} from './http/dashboard-handler.js';
export { mountDashboard, type DashboardMount } from './http/mount-dashboard.js';
export { formatSseEvent } from './http/sse-hub.js';
