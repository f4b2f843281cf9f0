/** Set when the worker is stopping, so a job aborted by shutdown is handed back rather than failed. */
export class ShutdownSignal {
  stopping = false;
}
