import { Providers } from './providers.jsx';

// No favicon file: an empty icon, so the browser does not ask for /favicon.ico.
export const metadata = { title: 'trpcws · Next.js', icons: { icon: 'data:,' } };

export default function RootLayout({ children }) {
  return (
    <html lang="en">
      <body style={{ fontFamily: 'system-ui, sans-serif', maxWidth: 640, margin: '2rem auto' }}>
        <Providers>{children}</Providers>
      </body>
    </html>
  );
}
