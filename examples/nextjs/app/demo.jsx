'use client';
// The page's tRPC calls, with TanStack Query: a query (useQuery), a mutation (useMutation) and the
// tracked feed subscription (in an effect), plus the WebSocket client's connection state. The
// server renders this component too: there the query stays pending and no effect runs.
import { useMutation, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { getTRPC } from './trpc.js';

// What the end-to-end test reads (e2e/nextjs.mjs); the page itself does not need it.
function probe() {
  return (window.__app ??= { states: [], ids: [], starts: 0 });
}

function useConnectionState(url) {
  const [conn, setConn] = useState({ state: 'idle', error: null });
  useEffect(() => {
    const sub = getTRPC(url).ws.connectionState.subscribe({
      next(s) {
        probe().states.push(s.state);
        setConn({ state: s.state, error: s.error ?? null });
      },
    });
    return () => sub.unsubscribe();
  }, [url]);
  return conn;
}

// The tracked feed: after a lost socket the link re-subscribes from the last event id it
// delivered, so the list goes on with no gap and no duplicate.
function useFeed(url) {
  const [feed, setFeed] = useState([]);
  const [status, setStatus] = useState('idle');
  useEffect(() => {
    const sub = getTRPC(url).trpc.onMessage.subscribe(undefined, {
      onStarted() {
        probe().starts++;
        setStatus('started');
      },
      onData({ id, data }) {
        probe().ids.push(id);
        setFeed((f) => [...f, { id, ...data }]);
      },
      onError(err) {
        probe().subError = err.message;
        setStatus('error');
      },
    });
    return () => sub.unsubscribe();
  }, [url]);
  return { feed, status };
}

export function Demo({ url }) {
  const conn = useConnectionState(url);
  const greeting = useQuery({
    queryKey: ['echo', 'hello from Next.js'],
    queryFn: () => getTRPC(url).trpc.echo.query('hello from Next.js'),
  });
  const post = useMutation({ mutationFn: (input) => getTRPC(url).trpc.postMessage.mutate(input) });
  const { feed, status } = useFeed(url);
  const [text, setText] = useState('');

  const onSubmit = (e) => {
    e.preventDefault();
    post.mutate({ text, user: 'next' });
    setText('');
  };

  return (
    <main>
      <h1>trpcws · Next.js</h1>
      <p>
        Server <code>{url}</code>: <strong data-testid="conn-state">{conn.state}</strong>
        {conn.error ? <span data-testid="conn-error"> ({conn.error.message})</span> : null}
      </p>

      <h2>query</h2>
      <p data-testid="echo">
        {greeting.isPending ? 'loading…' : greeting.isError ? `error: ${greeting.error.message}` : greeting.data}
      </p>

      <h2>mutation</h2>
      <form onSubmit={onSubmit}>
        <input data-testid="post-text" value={text} onChange={(e) => setText(e.target.value)} placeholder="message" />{' '}
        <button data-testid="post-submit" type="submit" disabled={!text}>post</button>
      </form>
      <p data-testid="post-result">
        {post.isPending ? 'posting…' : post.isError ? `error: ${post.error.message}` : post.data ? `posted #${post.data.id}` : ''}
      </p>

      <h2>subscription</h2>
      <p>
        feed: <span data-testid="sub-status">{status}</span>
      </p>
      <ul data-testid="feed">
        {feed.map((m) => (
          <li key={m.id} data-testid="feed-item" data-id={m.id}>
            #{m.id} <b>{m.user}</b>: {m.text}
          </li>
        ))}
      </ul>
    </main>
  );
}
