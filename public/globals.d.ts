// What the page's scripts find on `window` besides the DOM. Type-checking only
// (public/tsconfig.json): the server serves public/'s .js and .css files, never this one.

declare global {
  interface Window {
    /**
     * b24jssdk's browser bundle (/vendor/b24jssdk.js, the package's dist/umd/index.min.js), on
     * the app page inside the portal and on the install page. It loads async on the app page,
     * so it may not be there yet, or at all when it failed to load.
     */
    B24Js?: Pick<typeof import('@bitrix24/b24jssdk'), 'initializeB24Frame'>;
  }
}

export {};
