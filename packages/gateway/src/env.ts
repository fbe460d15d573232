/** The one place this package reads the environment (a lint rule keeps process.env here). */
export const processEnvironment = (): Readonly<Record<string, string | undefined>> => process.env;
