import type { ButtonHTMLAttributes, ReactNode } from 'react';

type Variant = 'primary' | 'secondary' | 'ghost' | 'danger';

export function Button({
  variant = 'secondary',
  icon,
  children,
  className,
  ...props
}: ButtonHTMLAttributes<HTMLButtonElement> & { variant?: Variant; icon?: ReactNode }) {
  return (
    <button type="button" className={['btn', `btn-${variant}`, className].filter(Boolean).join(' ')} {...props}>
      {icon}
      {children !== undefined && <span>{children}</span>}
    </button>
  );
}
