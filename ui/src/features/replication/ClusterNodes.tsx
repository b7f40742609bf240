import type { ClusterView } from "../../bindings/ClusterView";
import type { ClusterNode } from "../../bindings/ClusterNode";

function ranges(node: ClusterNode): string {
  if (node.slots.length === 0) return "—";
  return node.slots.map(([a, b]) => (a === b ? `${a}` : `${a}-${b}`)).join(", ");
}

function slotCount(node: ClusterNode): number {
  return node.slots.reduce((sum, [a, b]) => sum + b - a + 1, 0);
}

function health(node: ClusterNode): { text: string; bad: boolean } {
  if (node.flags.includes("fail")) return { text: "failed", bad: true };
  if (node.flags.includes("fail?")) return { text: "suspected down", bad: true };
  if (node.link !== "connected" && !node.flags.includes("myself")) return { text: node.link, bad: true };
  return { text: "ok", bad: false };
}

/** Every node of a cluster as one live node sees it: masters with their slots, each followed by its replicas. */
export function ClusterNodes({ cluster }: { cluster: ClusterView }) {
  const byId = new Map(cluster.nodes.map((n) => [n.id, n]));
  return (
    <>
      <p className="muted" data-testid="cluster-summary">
        Cluster {cluster.state ?? "unknown"}: {cluster.slotsOk ?? "?"}/{cluster.slotsAssigned ?? "?"} slots ok, {cluster.slotsFail ?? 0} failing, {cluster.knownNodes ?? "?"} nodes · as
        seen by {cluster.address}
      </p>
      <table className="mini" data-testid="cluster-nodes">
        <thead>
          <tr>
            <th>Node</th>
            <th>Id</th>
            <th>Role</th>
            <th>Slots</th>
            <th>Bus link</th>
            <th>State</th>
          </tr>
        </thead>
        <tbody>
          {cluster.nodes.map((n) => {
            const state = health(n);
            const master = n.masterId ? byId.get(n.masterId) : undefined;
            return (
              <tr key={n.id} data-node={n.address} data-role={n.role} data-state={state.text}>
                <td>{n.role === "master" ? n.address : `↳ ${n.address}`}</td>
                <td title={n.id}>{n.id.slice(0, 8)}</td>
                <td>{n.role === "master" ? "master" : `replica of ${master?.address ?? n.masterId?.slice(0, 8) ?? "?"}`}</td>
                <td>{n.role === "master" ? `${ranges(n)} (${slotCount(n)})` : "—"}</td>
                <td>{n.flags.includes("myself") ? "(answering)" : n.link}</td>
                <td className={state.bad ? "error" : "ok"}>{state.text}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </>
  );
}
