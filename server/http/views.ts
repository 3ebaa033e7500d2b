import type { AssetUrl } from '../../views/html';
import { renderAppPage, type AppPageModel } from '../../views/app-page';
import { renderErrorPage } from '../../views/error-page';
import { renderInstallPage } from '../../views/install-page';

type WithoutAssets<M> = Omit<M, 'assetUrl'>;

/** The server-rendered pages, passed into the HTTP app as one collaborator. */
export interface Views {
  appPage(m: WithoutAssets<AppPageModel>): string;
  installPage(m: WithoutAssets<Parameters<typeof renderInstallPage>[0]>): string;
  errorPage(m: WithoutAssets<Parameters<typeof renderErrorPage>[0]>): string;
}

/** The pages, naming each script and style by the URL `assetUrl` gives (its content hash). */
export function createViews(assetUrl: AssetUrl): Views {
  return {
    appPage: (m) => renderAppPage({ ...m, assetUrl }),
    installPage: (m) => renderInstallPage({ ...m, assetUrl }),
    errorPage: (m) => renderErrorPage({ ...m, assetUrl }),
  };
}
