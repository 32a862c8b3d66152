import { lines, Tool, type ToolOptions } from './tool.js';

/** kubectl, through the one place that runs tools (tool.ts): dry-run echo and redaction. */
export class Kubectl extends Tool {
  constructor(options: ToolOptions) {
    super('kubectl', 'install kubectl (https://kubernetes.io/docs/tasks/tools/) or fix PATH', options);
  }

  /** The context names in the kubeconfig. */
  async contexts(): Promise<string[]> {
    return lines(await this.run(['config', 'get-contexts', '-o', 'name'], { readOnly: true }));
  }
}
