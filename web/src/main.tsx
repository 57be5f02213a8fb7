import { QueryClientProvider } from '@tanstack/react-query';
import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { RouterProvider } from 'react-router';
import { createRouter } from './app/router';
import { createBrowserServices, createQueryClient, ServicesProvider } from './app/services';
import './app/global.css';

const services = createBrowserServices();
const queryClient = createQueryClient();
const router = createRouter();
// Signed in from an earlier visit? The refresh cookie answers; screens wait for it.
void services.session.restore().catch(() => undefined);

createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <ServicesProvider services={services}>
      <QueryClientProvider client={queryClient}>
        <RouterProvider router={router} />
      </QueryClientProvider>
    </ServicesProvider>
  </StrictMode>,
);
