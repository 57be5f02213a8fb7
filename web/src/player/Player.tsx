import { useQuery } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, type MouseEvent } from 'react';
import { Link, useLocation, useNavigate } from 'react-router';
import { useApi } from '../app/services';
import { formatPosition } from '../lib/format';
import { Button } from '../ui/Button';
import { Spinner } from '../ui/Feedback';
import { autoplay, type AutoplayOutcome } from './autoplay';
import type { MediaProbe } from './heartbeat';
import { attachStream, type StreamFailure, type StreamHandle } from './hls-loader';
import { PlayerEnd } from './PlayerEnd';
import { PlayerError } from './PlayerError';
import { endedProblem, mediaProblem, startProblem, type PlayerProblem } from './problems';
import { useIdle } from './useIdle';
import { usePlaybackSession } from './usePlaybackSession';
import { usePlayerKeys } from './usePlayerKeys';
import './player.css';

const RESUME_NOTICE_MS = 5_000;

/** The full-screen player for one title: session, stream, controls, refusals and the end. */
export function Player({ movieId, profileId }: { movieId: string; profileId: string }) {
  const api = useApi();
  const navigate = useNavigate();
  const location = useLocation();
  const rootRef = useRef<HTMLDivElement>(null);
  const videoRef = useRef<HTMLVideoElement>(null);
  const streamRef = useRef<StreamHandle | null>(null);
  // Kept outside the element: on unmount the <video> is gone before the session stops.
  const positionRef = useRef(0);
  const attachedSessionRef = useRef<string | undefined>(undefined);
  const autoRetriedRef = useRef(false);
  const startedRef = useRef(false);

  const movie = useQuery({ queryKey: ['movie', movieId, profileId], queryFn: () => api.movies.get(movieId, profileId) });
  const name = movie.data?.title ?? '';
  const rentalPrice = movie.data?.rentalPrice;

  const probe = useCallback((): MediaProbe => {
    const v = videoRef.current;
    if (v && v.readyState > 0) positionRef.current = v.currentTime;
    return { positionSeconds: positionRef.current, paused: v?.paused ?? true, ended: v?.ended ?? false, bitrateKbps: streamRef.current?.bitrateKbps() ?? 0 };
  }, []);
  const { controller, status, restart } = usePlaybackSession(movieId, profileId, probe);
  const liveId = status.kind === 'live' ? status.session.sessionId : undefined;
  const sessionId = status.kind === 'starting' || status.kind === 'refused' ? undefined : status.session.sessionId;
  const thumbnail = status.kind === 'starting' || status.kind === 'refused' ? undefined : status.session.thumbnailUrl;

  const [mediaFailure, setMediaFailure] = useState<StreamFailure | undefined>();
  const [streamAttempt, setStreamAttempt] = useState(0);
  const [autoplayOutcome, setAutoplayOutcome] = useState<AutoplayOutcome | undefined>();
  const [waiting, setWaiting] = useState(true);
  const [paused, setPaused] = useState(true);
  const [ended, setEnded] = useState(false);
  const [resumeNotice, setResumeNotice] = useState<string | undefined>();

  const titlePath = `/title/${encodeURIComponent(movieId)}`;
  const goBack = useCallback(() => {
    // The first entry (a shared link, a reload) has nowhere in the app to go back to.
    if (location.key !== 'default') void navigate(-1);
    else void navigate(titlePath, { replace: true });
  }, [location.key, navigate, titlePath]);

  /** New tokens, then the stream again from where it was (the session goes on). */
  const retryStream = useCallback(async () => {
    setMediaFailure(undefined);
    await controller?.refreshTokens();
    setStreamAttempt((n) => n + 1);
  }, [controller]);

  const newSession = useCallback(() => {
    setMediaFailure(undefined);
    setEnded(false);
    setAutoplayOutcome(undefined);
    restart();
  }, [restart]);

  const problem = useMemo((): PlayerProblem | undefined => {
    const facts = { id: movieId, rentalPrice };
    if (status.kind === 'refused') return startProblem(status.error, facts);
    if (status.kind === 'over') return endedProblem(status.error, facts);
    if (status.kind === 'live' && mediaFailure) return mediaProblem(mediaFailure.message);
    return undefined;
  }, [status, mediaFailure, movieId, rentalPrice]);

  useEffect(() => {
    document.title = `${name || 'Player'} · Flix`;
  }, [name]);

  // The stream: attached once the session is live, again on retry, detached when it ends.
  useEffect(() => {
    const video = videoRef.current;
    const current = controller?.getStatus();
    if (!video || !controller || current?.kind !== 'live' || !controller.playbackUrl) return;
    const session = current.session;
    const fresh = attachedSessionRef.current !== session.sessionId;
    attachedSessionRef.current = session.sessionId;
    startedRef.current = false;
    const startPosition = fresh ? session.resumePositionSeconds : positionRef.current;
    if (fresh) {
      positionRef.current = startPosition;
      if (startPosition > 0) setResumeNotice(`Resuming at ${formatPosition(startPosition)}`);
    }
    setWaiting(true);
    let cancelled = false;
    let handle: StreamHandle | undefined;
    const onFatal = (failure: StreamFailure) => {
      if (cancelled) return;
      // A refused token mid-film: new tokens and a reload from here usually fix it. Once; then ask.
      if ((failure.httpStatus === 401 || failure.httpStatus === 403) && !autoRetriedRef.current) {
        autoRetriedRef.current = true;
        void retryStream();
        return;
      }
      setMediaFailure(failure);
    };
    attachStream(video, { url: controller.playbackUrl, startPosition, token: controller.currentToken, onFatal }).then(
      async (h) => {
        if (cancelled) return h.destroy();
        handle = h;
        streamRef.current = h;
        const outcome = await autoplay(video);
        if (!cancelled) setAutoplayOutcome(outcome);
      },
      (err: unknown) => {
        if (!cancelled) setMediaFailure({ message: err instanceof Error ? err.message : 'The video could not be played.' });
      },
    );
    return () => {
      cancelled = true;
      handle?.destroy();
      streamRef.current = null;
    };
  }, [controller, liveId, streamAttempt, retryStream]);

  // What the video does, for heartbeats (pause, seek end), rebuffer time and the end.
  useEffect(() => {
    const video = videoRef.current;
    if (!video || !controller) return;
    const meter = controller.rebuffer;
    const handlers: Record<string, () => void> = {
      timeupdate: () => {
        if (video.readyState > 0) positionRef.current = video.currentTime;
      },
      play: () => {
        setPaused(false);
        setAutoplayOutcome((o) => (o === 'blocked' ? 'playing' : o));
      },
      playing: () => {
        startedRef.current = true;
        meter.playing(Date.now());
        setWaiting(false);
        autoRetriedRef.current = false;
      },
      waiting: () => {
        meter.waiting(Date.now(), video);
        if (!video.paused) setWaiting(true);
      },
      canplay: () => {
        if (video.paused) setWaiting(false);
      },
      pause: () => {
        meter.interrupted(Date.now());
        setPaused(true);
        setWaiting(false);
        if (!video.ended) controller.pulse();
      },
      seeking: () => meter.interrupted(Date.now()),
      seeked: () => {
        positionRef.current = video.currentTime;
        // Not the seek to the resume point before the first frame: only the viewer's seeks.
        if (startedRef.current) controller.pulse();
      },
      emptied: () => meter.interrupted(Date.now()),
      ended: () => {
        meter.interrupted(Date.now());
        const end = Number.isFinite(video.duration) ? video.duration : video.currentTime;
        positionRef.current = end;
        setEnded(true);
        void controller.stop(end);
      },
      volumechange: () => {
        if (!video.muted) setAutoplayOutcome((o) => (o === 'muted' ? 'playing' : o));
      },
    };
    for (const [type, handler] of Object.entries(handlers)) video.addEventListener(type, handler);
    return () => {
      for (const [type, handler] of Object.entries(handlers)) video.removeEventListener(type, handler);
    };
  }, [controller]);

  // Ended by the backend mid-film: stop the picture too.
  useEffect(() => {
    if (status.kind === 'over') videoRef.current?.pause();
  }, [status.kind]);

  // Keyboard and screen-reader users start on the video once there is one to play.
  useEffect(() => {
    if (liveId) videoRef.current?.focus({ preventScroll: true });
  }, [liveId]);

  useEffect(() => {
    if (!resumeNotice) return;
    const t = setTimeout(() => setResumeNotice(undefined), RESUME_NOTICE_MS);
    return () => clearTimeout(t);
  }, [resumeNotice]);

  const idle = useIdle(rootRef, !paused && !ended && !problem);

  const blocked = problem !== undefined || ended;
  usePlayerKeys(videoRef, rootRef, blocked, goBack);

  const onBackClick = (e: MouseEvent<HTMLAnchorElement>) => {
    if (e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return; // New tab: follow the link.
    e.preventDefault();
    goBack();
  };

  const unmute = () => {
    const video = videoRef.current;
    if (video) {
      video.muted = false;
      if (video.volume === 0) video.volume = 1;
    }
    setAutoplayOutcome('playing');
  };

  const loading = !problem && !ended && (status.kind === 'starting' || (status.kind === 'live' && waiting && autoplayOutcome !== 'blocked'));

  return (
    <div ref={rootRef} className={`player${idle ? ' player-idle' : ''}`} data-session-id={sessionId}>
      <header className="player-bar">
        <Link to={titlePath} className="btn btn-ghost player-back" onClick={onBackClick}>
          <span aria-hidden="true">←</span> Back
        </Link>
        <h1 className="player-title">
          {name ? (
            <>
              <span className="visually-hidden">Watching </span>
              {name}
            </>
          ) : (
            'Player'
          )}
        </h1>
        {autoplayOutcome === 'muted' && !blocked ? (
          <Button variant="secondary" className="player-unmute" onClick={unmute}>
            <span aria-hidden="true">🔇</span> Unmute
          </Button>
        ) : null}
      </header>

      <div className="player-stage" inert={blocked}>
        <video
          ref={videoRef}
          className="player-video"
          data-testid="player-video"
          aria-label={name || 'Video'}
          poster={thumbnail || undefined}
          controls
          playsInline
          preload="auto"
        />
      </div>

      {loading ? (
        <div className="player-overlay player-loading">
          <Spinner label={status.kind === 'starting' ? 'Starting playback' : 'Loading the video'} />
        </div>
      ) : null}
      {resumeNotice && !blocked ? (
        <p className="player-toast" role="status">
          {resumeNotice}
        </p>
      ) : null}
      {autoplayOutcome === 'blocked' && !blocked ? (
        <div className="player-overlay">
          <Button variant="primary" className="player-big-play" onClick={() => void videoRef.current?.play().catch(() => undefined)}>
            <span aria-hidden="true">▶</span> Play
          </Button>
        </div>
      ) : null}
      {problem ? (
        <div className="player-overlay player-scrim">
          <PlayerError problem={problem} onRetry={status.kind === 'live' ? () => void retryStream() : newSession} />
        </div>
      ) : ended ? (
        <div className="player-overlay player-scrim">
          <PlayerEnd movieId={movieId} profileId={profileId} title={name} onReplay={newSession} />
        </div>
      ) : null}
    </div>
  );
}
