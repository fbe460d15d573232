/**
 * "Rotate root key" (org admins, confirmed by typing the active root key's id): re-wraps every
 * protection key under a new root key, online; values and data keys are untouched (SPEC §5).
 */
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useTRPC } from "../../trpc.js";
import { Button } from "../../ui/button.js";
import { ConfirmDialog } from "../../ui/confirm-dialog.js";

export function RotateRootKey(props: { activeRootKeyId: string }) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const rotate = useMutation(
    trpc.key.rotateRoot.mutationOptions({
      onSuccess: async () => {
        setOpen(false);
        await queryClient.invalidateQueries({ queryKey: trpc.key.list.pathKey() });
      },
    }),
  );
  return (
    <>
      <Button
        kind="danger"
        onClick={() => {
          rotate.reset();
          setOpen(true);
        }}
      >
        Rotate root key
      </Button>
      {rotate.data !== undefined && (
        <p className="notice" role="status">
          Root key rotated: {rotate.data.rewrapped} protection keys are now wrapped under{" "}
          <code>{rotate.data.rootKeyId}</code>. Back up the new root key where the old one was kept.
        </p>
      )}
      <ConfirmDialog
        open={open}
        title="Rotate the root key?"
        name={props.activeRootKeyId}
        actionLabel="Rotate root key"
        pending={rotate.isPending}
        error={rotate.error}
        onCancel={() => setOpen(false)}
        onConfirm={() => rotate.mutate()}
      >
        <p>
          Coffer makes a new root key and re-wraps every protection key under it, in one
          transaction; secrets stay readable meanwhile. Backups made with the old root key need the
          old key to be read.
        </p>
      </ConfirmDialog>
    </>
  );
}
