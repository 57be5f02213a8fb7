import { useEffect, useRef, type ReactNode } from 'react';

/**
 * A screen's heading and document title. Focus moves to the heading when the screen opens,
 * so keyboard and screen-reader users land at the top of the new content after navigation.
 */
export function Page({ title, heading, children, className, hideHeading }: { title: string; heading?: ReactNode; children: ReactNode; className?: string; hideHeading?: boolean }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${title} · Flix`;
  }, [title]);
  // Only when the screen opens: a title that follows what the viewer types must not steal focus.
  useEffect(() => {
    ref.current?.focus({ preventScroll: true });
  }, []);
  return (
    <div className={`page${className ? ` ${className}` : ''}`}>
      <h1 ref={ref} tabIndex={-1} className={hideHeading ? 'visually-hidden' : 'page-title'}>
        {heading ?? title}
      </h1>
      {children}
    </div>
  );
}
