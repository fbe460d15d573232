/** The signed-in frame: a top bar, the side nav (a menu button at narrow width), the page. */
import { useEffect, useRef, useState } from "react";
import { Link, Redirect, Route, Switch, useLocation } from "wouter";
import { NotFoundPage } from "./pages/not-found.js";
import { routes } from "./routes.js";
import { useSession } from "./session.js";
import { Button } from "./ui/button.js";

export function Layout() {
  const session = useSession();
  const [location] = useLocation();
  const [menuOpen, setMenuOpen] = useState(false);
  const [signingOut, setSigningOut] = useState(false);
  const main = useRef<HTMLElement>(null);
  const firstLocation = useRef(location);
  // A link followed from the folded menu closes it, and a new page takes the focus (a screen
  // reader starts reading it; the next Tab goes into it, not back through the nav).
  useEffect(() => {
    setMenuOpen(false);
    if (location !== firstLocation.current) main.current?.focus();
  }, [location]);
  const links = routes.filter(
    (r) => r.nav !== undefined && (!r.adminOnly || session.orgRole === "admin"),
  );

  return (
    <div className={`shell ${menuOpen ? "menu-open" : ""}`}>
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <button
          type="button"
          className="menu-button"
          aria-expanded={menuOpen}
          aria-controls="main-nav"
          onClick={() => setMenuOpen((open) => !open)}
        >
          Menu
        </button>
        <Link href="/secrets" className="brand">
          Coffer
        </Link>
        <span className="whoami" title={`Signed in as ${session.user} (${session.orgRole})`}>
          {session.user}
        </span>
        <Button
          disabled={signingOut}
          onClick={() => {
            setSigningOut(true);
            void session.signOut().finally(() => setSigningOut(false));
          }}
        >
          Sign out
        </Button>
      </header>
      <nav id="main-nav" className="sidenav" aria-label="Main">
        <ul>
          {links.map((r) => {
            const current = location === r.path || location.startsWith(`${r.path}/`);
            return (
              <li key={r.path}>
                <Link href={r.path} aria-current={current ? "page" : undefined}>
                  {r.nav}
                </Link>
              </li>
            );
          })}
        </ul>
      </nav>
      <main id="main" ref={main} className="content" tabIndex={-1}>
        <Switch>
          <Route path="/">
            <Redirect to="/secrets" replace />
          </Route>
          {routes.map((r) => (
            <Route key={r.path} path={r.path} component={r.page} />
          ))}
          <Route component={NotFoundPage} />
        </Switch>
      </main>
    </div>
  );
}
