// The entry of the api's check threads (piscina): one task = one engine check (engine-check-tasks.ts).
import { type EngineCheckArgs, type EngineCheckName, runEngineCheck } from './engine-check-tasks';

export default function engineCheckTask<K extends EngineCheckName>(task: { name: K; args: EngineCheckArgs<K> }) {
  return runEngineCheck(task.name, task.args);
}
