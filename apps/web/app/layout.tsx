import type { Metadata } from "next";
import type { ReactNode } from "react";
import { PageViewTracker } from "../components/page-view-tracker";
import { SiteNav } from "../components/site-nav";
import "./globals.css";

export const metadata: Metadata = {
  title: { default: "TaskFlow", template: "%s · TaskFlow" },
  description: "Tasks and workflows, with every interaction on the record.",
};

export default function RootLayout({ children }: { children: ReactNode }) {
  return (
    <html lang="en">
      <body>
        <PageViewTracker />
        <header className="site-header">
          <SiteNav />
        </header>
        <main className="content">{children}</main>
      </body>
    </html>
  );
}
