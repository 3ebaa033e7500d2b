import { renderAppPage } from '../../views/app-page';
import { renderErrorPage } from '../../views/error-page';
import { renderInstallPage } from '../../views/install-page';

/** The server-rendered pages, passed into the HTTP app as one collaborator. */
export interface Views {
  appPage: typeof renderAppPage;
  installPage: typeof renderInstallPage;
  errorPage: typeof renderErrorPage;
}

export const views: Views = { appPage: renderAppPage, installPage: renderInstallPage, errorPage: renderErrorPage };
