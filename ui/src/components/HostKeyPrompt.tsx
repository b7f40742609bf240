import { useMutation, useQueryClient } from "@tanstack/react-query";
import { acceptHostKey, asUiError } from "../api";
import { useToasts } from "./Toasts";

/** An SSH hop offered a key no known-hosts file holds: trust exactly that key, once. */
export function HostKeyPrompt({ fingerprint, onTrusted }: { fingerprint: string; onTrusted?: () => void }) {
  const queryClient = useQueryClient();
  const toasts = useToasts();
  const accept = useMutation({
    mutationFn: () => acceptHostKey(fingerprint),
    onSuccess: (host) => {
      toasts.info(`Trusted the host key of ${host}`, "Recorded in the console's known-hosts file; it is not asked again.");
      void queryClient.invalidateQueries();
      onTrusted?.();
    },
    onError: (e) => toasts.error(asUiError(e)),
  });
  return (
    <div className="host-key-prompt" data-host-key={fingerprint}>
      <p>
        Compare <code>{fingerprint}</code> with the server's own (its admin, or <code>ssh-keygen -lf</code> on its host key). Trust it only if
        they match: a wrong key means someone may be in between.
      </p>
      <button type="button" className="primary" data-action="trust-host-key" onClick={() => accept.mutate()} disabled={accept.isPending}>
        {accept.isPending ? "Trusting…" : "Trust this key"}
      </button>
    </div>
  );
}
