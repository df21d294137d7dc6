import { useMutation, useQuery } from '@tanstack/react-query';
import { useSubscription } from '@trpc/tanstack-react-query';
import { useState, useSyncExternalStore } from 'react';
import { useTRPC, wsClient, wsUrl } from './trpc.js';

// What the end-to-end test reads (e2e/react-vite.mjs); the page itself does not need it.
const probe = (window.__app = { states: [], ids: [], messages: [], starts: 0 });

// The client's connection state ('idle' | 'connecting' | 'pending') as React state.
const connection = {
  subscribe(onChange) {
    const sub = wsClient.connectionState.subscribe({ next: onChange });
    return () => sub.unsubscribe();
  },
  get: () => wsClient.connectionState.get(),
};
wsClient.connectionState.subscribe({
  next(s) {
    probe.state = s.state;
    probe.states.push(s.state);
    probe.lastError = s.error ? String(s.error.message ?? s.error) : null;
  },
});

function useConnectionState() {
  return useSyncExternalStore(connection.subscribe, connection.get);
}

export function App() {
  const trpc = useTRPC();
  const conn = useConnectionState();

  // useQuery: the server echoes its input.
  const greeting = useQuery(trpc.echo.queryOptions('hello from React'));
  if (greeting.data !== undefined) probe.echo = greeting.data;

  // useMutation: post a message to the feed.
  const [user, setUser] = useState('react');
  const [text, setText] = useState('');
  const post = useMutation(
    trpc.postMessage.mutationOptions({
      onSuccess: (m) => { probe.posted = m; },
      onError: (err) => { probe.postError = err.message; },
    }),
  );

  // useSubscription: the tracked feed. After a lost socket the link re-subscribes from the
  // last event id it delivered, so the list continues without gaps or duplicates.
  const [feed, setFeed] = useState([]);
  const sub = useSubscription(
    trpc.onMessage.subscriptionOptions(undefined, {
      onStarted: () => { probe.starts++; },
      onData: ({ id, data }) => {
        probe.ids.push(id);
        probe.messages.push(data);
        setFeed((f) => [...f, { id, ...data }]);
      },
      onError: (err) => { probe.subError = err.message; },
    }),
  );
  probe.subStatus = sub.status;

  const onSubmit = (e) => {
    e.preventDefault();
    post.mutate({ text, user });
    setText('');
  };

  return (
    <main style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 640, margin: '2rem auto' }}>
      <h1>trpcws · React + Vite</h1>
      <p>
        Server <code>{wsUrl}</code>: <strong data-testid="conn-state">{conn.state}</strong>
        {conn.error ? <span data-testid="conn-error"> ({conn.error.message})</span> : null}
      </p>

      <section>
        <h2>useQuery</h2>
        <p data-testid="echo">
          {greeting.isPending ? 'loading…' : greeting.isError ? `error: ${greeting.error.message}` : greeting.data}
        </p>
      </section>

      <section>
        <h2>useMutation</h2>
        <form onSubmit={onSubmit}>
          <input data-testid="post-user" value={user} onChange={(e) => setUser(e.target.value)} placeholder="user" />{' '}
          <input data-testid="post-text" value={text} onChange={(e) => setText(e.target.value)} placeholder="message" />{' '}
          <button data-testid="post-submit" type="submit" disabled={!text}>post</button>
        </form>
        <p data-testid="post-result">
          {post.isPending ? 'posting…' : post.isError ? `error: ${post.error.message}` : post.data ? `posted #${post.data.id}` : ''}
        </p>
      </section>

      <section>
        <h2>useSubscription</h2>
        <p>
          subscription: <span data-testid="sub-status">{sub.status}</span>
        </p>
        <ul data-testid="feed">
          {feed.map((m) => (
            <li key={m.id} data-testid="feed-item" data-id={m.id}>
              #{m.id} <b>{m.user}</b>: {m.text}
            </li>
          ))}
        </ul>
      </section>
    </main>
  );
}
