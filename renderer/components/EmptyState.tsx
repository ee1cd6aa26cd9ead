import type { ReactNode } from 'react';

/** What a screen will do, for screens whose feature has not landed yet: honest, no fake data. */
export function EmptyState({
  icon,
  title,
  description,
  points,
  action,
}: {
  icon: ReactNode;
  title: string;
  description: string;
  points?: string[];
  action?: ReactNode;
}) {
  return (
    <div className="empty-state" role="status">
      <div className="empty-icon">{icon}</div>
      <h2 className="empty-title">{title}</h2>
      <p className="empty-description">{description}</p>
      {points && points.length > 0 && (
        <ul className="empty-points">
          {points.map((point) => (
            <li key={point}>{point}</li>
          ))}
        </ul>
      )}
      {action && <div className="empty-action">{action}</div>}
    </div>
  );
}
