/**
 * Which products each kernel already has connected through cells the sidebar wrote,
 * so "Run" writes `%dataproduct connect` only when the kernel lacks it. A kernel
 * restart forgets them (connect is idempotent, so a stale entry only costs a line).
 */
export class KernelConnections {
  private connected = new Map<string, Set<string>>();

  has(kernelId: string | undefined, connect: string): boolean {
    return kernelId !== undefined && (this.connected.get(kernelId)?.has(connect) ?? false);
  }

  add(kernelId: string | undefined, connect: string): void {
    if (kernelId === undefined) {
      return;
    }
    const set = this.connected.get(kernelId) ?? new Set<string>();
    set.add(connect);
    this.connected.set(kernelId, set);
  }

  forget(kernelId: string | undefined): void {
    if (kernelId !== undefined) {
      this.connected.delete(kernelId);
    }
  }
}
