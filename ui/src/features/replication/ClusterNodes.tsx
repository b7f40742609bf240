import { DataGrid, type GridColumn } from "../../components/DataGrid";
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

function nodeColumns(byId: Map<string, ClusterNode>): GridColumn<ClusterNode>[] {
  return [
    { id: "node", header: "Node", type: "text", value: (n) => (n.role === "master" ? n.address : `↳ ${n.address}`), width: 170 },
    { id: "id", header: "Id", type: "id", value: (n) => n.id.slice(0, 8), width: 90 },
    {
      id: "role",
      header: "Role",
      type: "text",
      value: (n) => (n.role === "master" ? "master" : `replica of ${(n.masterId ? byId.get(n.masterId)?.address : undefined) ?? n.masterId?.slice(0, 8) ?? "?"}`),
      width: 210,
    },
    { id: "slots", header: "Slots", type: "text", value: (n) => (n.role === "master" ? `${ranges(n)} (${slotCount(n)})` : "—"), width: 200 },
    { id: "link", header: "Bus link", type: "text", value: (n) => (n.flags.includes("myself") ? "(answering)" : n.link), width: 110 },
    {
      id: "state",
      header: "State",
      type: "text",
      value: (n) => health(n).text,
      width: 130,
      render: (n) => <span className={health(n).bad ? "error" : "ok"}>{health(n).text}</span>,
    },
  ];
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
      <div data-testid="cluster-nodes">
        <DataGrid
          label="Cluster nodes"
          columns={nodeColumns(byId)}
          rows={cluster.nodes}
          height={360}
          rowData={(n) => ({ "data-node": n.address, "data-role": n.role, "data-state": health(n).text })}
        />
      </div>
    </>
  );
}
