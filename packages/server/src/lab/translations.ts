/**
 * `/lab/api/translations`: Opsbook ships English only. The frontend asks for the list of language
 * packs and then for its locale's strings; an empty `data` means "use the built-in English".
 */
import { Router, sendJson } from '../http/router';

/** Registers the translation routes. */
export function addTranslationRoutes(router: Router): void {
  router
    .add('GET', /^\/lab\/api\/translations\/?$/, ctx => {
      sendJson(ctx.res, 200, {
        data: { en: { displayName: 'English', nativeName: 'English' } },
        message: ''
      });
    })
    .add('GET', /^\/lab\/api\/translations\/(?<locale>[^/]+)$/, ctx => {
      const locale = ctx.params.locale;
      const english = /^en([-_].*)?$/i.test(locale) || locale === 'default';
      sendJson(ctx.res, 200, {
        data: {},
        message: english ? '' : `Language pack '${locale}' is not installed; using English.`
      });
    });
}
