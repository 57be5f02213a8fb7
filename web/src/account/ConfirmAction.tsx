import { useEffect, useId, useRef, useState, type KeyboardEvent, type ReactNode } from 'react';
import { describeError } from '../api/errors';
import './account.css';

type Variant = 'primary' | 'secondary' | 'ghost' | 'danger';

/**
 * A button whose action asks first, inline (no modal): the trigger opens a small group with the
 * question, the action and a way back. Focus goes to the question when it opens (a screen reader
 * reads it), back to the trigger when the viewer keeps things as they are (or presses Escape).
 * The action's failure is shown in the group, which stays open so it can be tried again.
 */
export function ConfirmAction({
  label,
  accessibleLabel,
  variant = 'secondary',
  prompt,
  confirmLabel,
  cancelLabel = 'Keep it',
  confirmVariant = 'danger',
  onConfirm,
  onDone,
  disabled,
  className,
}: {
  /** The trigger's visible text. */
  label: ReactNode;
  /** The trigger's accessible name, when the visible text alone is ambiguous ("Return" → "Return Heat"). */
  accessibleLabel?: string;
  variant?: Variant;
  prompt: ReactNode;
  confirmLabel: string;
  cancelLabel?: string;
  confirmVariant?: Variant;
  onConfirm: () => Promise<unknown>;
  /** After the action succeeded (the group has closed): the caller moves focus where it makes sense. */
  onDone?: () => void;
  disabled?: boolean;
  className?: string;
}) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const triggerRef = useRef<HTMLButtonElement>(null);
  const groupRef = useRef<HTMLDivElement>(null);
  const focusTrigger = useRef(false);
  const mounted = useRef(true);
  const promptId = useId();

  useEffect(() => {
    mounted.current = true;
    return () => {
      mounted.current = false;
    };
  }, []);

  useEffect(() => {
    if (open) groupRef.current?.focus();
    else if (focusTrigger.current) {
      focusTrigger.current = false;
      triggerRef.current?.focus();
    }
  }, [open]);

  const close = () => {
    if (busy) return;
    focusTrigger.current = true;
    setError(null);
    setOpen(false);
  };

  const confirm = async () => {
    setBusy(true);
    setError(null);
    try {
      await onConfirm();
      if (!mounted.current) return;
      setBusy(false);
      setOpen(false);
      onDone?.();
    } catch (err) {
      if (!mounted.current) return;
      setBusy(false);
      setError(err);
    }
  };

  const onKeyDown = (e: KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.stopPropagation();
      close();
    }
  };

  if (!open) {
    return (
      <button
        ref={triggerRef}
        type="button"
        className={`btn btn-${variant}${className ? ` ${className}` : ''}`}
        aria-label={accessibleLabel}
        disabled={disabled}
        onClick={() => setOpen(true)}
      >
        {label}
      </button>
    );
  }

  return (
    <div ref={groupRef} className="confirm" role="group" aria-labelledby={promptId} tabIndex={-1} onKeyDown={onKeyDown}>
      <p id={promptId} className="confirm-prompt">
        {prompt}
      </p>
      {error ? (
        <p className="confirm-error" role="alert">
          {describeError(error)}
        </p>
      ) : null}
      <div className="row-actions">
        <button type="button" className={`btn btn-${confirmVariant}`} disabled={busy} aria-busy={busy || undefined} onClick={() => void confirm()}>
          {busy ? <span className="btn-spinner" aria-hidden="true" /> : null}
          {confirmLabel}
        </button>
        <button type="button" className="btn btn-ghost" disabled={busy} onClick={close}>
          {cancelLabel}
        </button>
      </div>
    </div>
  );
}
