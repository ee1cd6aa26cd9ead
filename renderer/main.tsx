import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import { connect } from './api';
import { App } from './App';
import { applyStoredTheme } from './state/useTheme';
import './styles/theme.css';
import './styles/app.css';
import './styles/forms.css';
import './styles/conversation.css';

applyStoredTheme(); // before the first paint, so a dark-theme user never sees a white flash
const connection = connect();
const root = document.getElementById('root');
if (!root) throw new Error('index.html has no #root element');
createRoot(root).render(
  <StrictMode>
    <App transport={connection.ok ? connection.transport : null} />
  </StrictMode>,
);
