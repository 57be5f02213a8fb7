/** The NATS CLI commands that show what the screen beside them shows, as operators type them. */
export function CliPanel({ commands }: { commands: { command: string; what: string }[] }) {
  return (
    <aside className="admin-panel streams-cli" aria-labelledby="streams-cli-heading">
      <h2 id="streams-cli-heading">With the NATS CLI</h2>
      <dl className="streams-cli-list">
        {commands.map(({ command, what }) => (
          <div key={command}>
            <dt>
              <code>{command}</code>
            </dt>
            <dd>{what}</dd>
          </div>
        ))}
      </dl>
      <p className="admin-note muted">
        Add <code>--server nats://127.0.0.1:4223</code> against <code>make run</code>.
      </p>
    </aside>
  );
}
