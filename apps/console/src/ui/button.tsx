import type { ButtonHTMLAttributes } from "react";

type Kind = "primary" | "secondary" | "danger";

/** A button with text (never an icon alone); `type="button"` unless it submits a form. */
export function Button({
  kind = "secondary",
  type = "button",
  className,
  ...rest
}: ButtonHTMLAttributes<HTMLButtonElement> & { kind?: Kind }) {
  return <button type={type} className={`button button-${kind} ${className ?? ""}`} {...rest} />;
}
