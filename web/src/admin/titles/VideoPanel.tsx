import { useQueryClient } from '@tanstack/react-query';
import { useEffect, useId, useRef, useState } from 'react';
import { UploadError, type UploadProgress } from '../../api/admin/titles';
import { AssetStatus, MovieStatus, type Movie } from '../../api/gen/flix/catalog/v1/resources';
import { useApi } from '../../app/services';
import { formatPosition } from '../../lib/format';
import { Button } from '../../ui/Button';
import { ErrorBanner } from '../../ui/Feedback';
import { formatBytes, titleKeys, videoInFlight, videoWords } from './titles';

type Phase = { kind: 'idle' } | { kind: 'starting' } | { kind: 'uploading'; progress: UploadProgress } | { kind: 'sent' } | { kind: 'cancelled' } | { kind: 'failed'; error: unknown };

/**
 * The title's video: pick a file, the catalog asks Mux for a direct-upload URL, the browser PUTs
 * the file there (progress bar, Cancel aborts), and Mux's webhooks then move the asset from
 * waiting to processing to ready or errored — shown as they happen (the page re-reads the title
 * while the asset is in flight).
 */
export function VideoPanel({ movie }: { movie: Movie }) {
  const api = useApi();
  const queryClient = useQueryClient();
  const [file, setFile] = useState<File | null>(null);
  const [phase, setPhase] = useState<Phase>({ kind: 'idle' });
  const abort = useRef<AbortController | null>(null);
  const inputRef = useRef<HTMLInputElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const fileId = useId();
  const words = videoWords(movie);
  const video = movie.video;
  const locked = movie.status === MovieStatus.MOVIE_STATUS_PUBLISHED && video?.status === AssetStatus.ASSET_STATUS_READY;
  const busy = phase.kind === 'starting' || phase.kind === 'uploading';
  // A video that got somewhere (processing, ready, errored) is replaced; a waiting upload was never sent.
  const replacing = !!video && video.status !== AssetStatus.ASSET_STATUS_WAITING;

  // Leaving the page mid-upload stops sending (the PUT would otherwise go on in the background).
  useEffect(() => () => abort.current?.abort(), []);

  const upload = async () => {
    if (!file) return;
    const controller = new AbortController();
    abort.current = controller;
    setPhase({ kind: 'starting' });
    try {
      const r = await api.admin.createTitleUpload(movie.id, window.location.origin);
      // The title now waits for this upload: show it, and keep re-reading until Mux is done.
      if (r.movie) queryClient.setQueryData(titleKeys.one(movie.id), r.movie);
      if (controller.signal.aborted) throw new UploadError('The upload was cancelled.', true);
      setPhase({ kind: 'uploading', progress: { loaded: 0, total: file.size } });
      requestAnimationFrame(() => cancelRef.current?.focus());
      await api.admin.putVideoFile(r.uploadUrl, file, { signal: controller.signal, onProgress: (progress) => setPhase({ kind: 'uploading', progress }) });
      setPhase({ kind: 'sent' });
      setFile(null);
      if (inputRef.current) inputRef.current.value = '';
      await queryClient.invalidateQueries({ queryKey: titleKeys.one(movie.id) });
    } catch (error) {
      if (controller.signal.aborted || (error instanceof UploadError && error.aborted)) setPhase({ kind: 'cancelled' });
      else setPhase({ kind: 'failed', error });
      requestAnimationFrame(() => inputRef.current?.focus());
    } finally {
      if (abort.current === controller) abort.current = null;
    }
  };

  const percent = phase.kind === 'uploading' && phase.progress.total > 0 ? Math.floor((phase.progress.loaded / phase.progress.total) * 100) : 0;

  return (
    <section className="admin-panel" aria-labelledby="titles-video-heading">
      <div className="admin-panel-head">
        <h2 id="titles-video-heading" className="titles-panel-title">
          Video
        </h2>
        {/* Announced as Mux moves the asset along, without a reload. */}
        <span role="status" aria-label={`Video status: ${words.label}`} className={`badge ${words.tone}`} data-testid="video-status">
          {words.label}
          {videoInFlight(movie) ? <span className="titles-pulse" aria-hidden="true" /> : null}
        </span>
      </div>

      {video?.status === AssetStatus.ASSET_STATUS_READY ? (
        <dl className="admin-facts">
          <dt>Length</dt>
          <dd>{formatPosition(video.durationSeconds)}</dd>
          {video.maxResolution ? (
            <>
              <dt>Resolution</dt>
              <dd>{video.maxResolution}</dd>
            </>
          ) : null}
          {video.aspectRatio ? (
            <>
              <dt>Aspect ratio</dt>
              <dd>{video.aspectRatio}</dd>
            </>
          ) : null}
        </dl>
      ) : null}
      {video?.status === AssetStatus.ASSET_STATUS_ERRORED ? (
        <ErrorBanner title="Mux could not process the video.">
          <ul className="titles-errors">
            {(video.errors.length ? video.errors : ['No reason given.']).map((e) => (
              <li key={e}>{e}</li>
            ))}
          </ul>
          <p>Upload another file.</p>
        </ErrorBanner>
      ) : null}
      {video?.status === AssetStatus.ASSET_STATUS_PROCESSING ? <p className="admin-note">Mux is processing the file; this page updates when it is ready.</p> : null}
      {!video ? <p className="admin-note">No video yet. Upload the film’s file; Mux makes the streams.</p> : null}

      {locked ? (
        <p className="admin-note">The title is published with a ready video. Archive it before replacing the video.</p>
      ) : (
        <div className="titles-upload">
          <div className="field">
            <label htmlFor={fileId}>Video file</label>
            <input
              ref={inputRef}
              id={fileId}
              type="file"
              accept="video/*"
              disabled={busy}
              aria-describedby={`${fileId}-hint`}
              onChange={(e) => {
                setFile(e.target.files?.[0] ?? null);
                if (phase.kind !== 'uploading') setPhase({ kind: 'idle' });
              }}
            />
            <p className="field-hint" id={`${fileId}-hint`}>
              {file ? `${file.name}, ${formatBytes(file.size)}` : 'An MP4 or MOV file; it goes straight to Mux.'}
            </p>
          </div>
          <div className="row-actions">
            <Button variant={video?.status === AssetStatus.ASSET_STATUS_READY ? 'secondary' : 'primary'} onClick={() => void upload()} disabled={!file || busy} busy={phase.kind === 'starting'}>
              {replacing ? 'Upload a new video' : 'Upload video'}
            </Button>
          </div>
        </div>
      )}

      {phase.kind === 'uploading' ? (
        <div className="titles-progress">
          <label htmlFor={`${fileId}-progress`}>Uploading to Mux</label>
          <progress id={`${fileId}-progress`} max={100} value={percent} aria-valuetext={`${percent}%`} />
          <p className="admin-note">
            {percent}% · {formatBytes(phase.progress.loaded)} of {formatBytes(phase.progress.total)}
          </p>
          <button ref={cancelRef} type="button" className="btn btn-danger" onClick={() => abort.current?.abort()}>
            Cancel upload
          </button>
        </div>
      ) : null}
      <div role="status" className="titles-live">
        {phase.kind === 'sent' && videoInFlight(movie) ? <p className="titles-ok">The file is uploaded. Mux is processing it.</p> : null}
        {phase.kind === 'cancelled' ? <p>The upload was cancelled; nothing was sent to Mux in full. Choose a file to try again.</p> : null}
      </div>
      {phase.kind === 'failed' ? <ErrorBanner title="The video was not uploaded." error={phase.error} /> : null}
    </section>
  );
}
