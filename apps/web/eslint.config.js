import reactHooks from "eslint-plugin-react-hooks";
import root from "../../eslint.config.js";

/** The repository's rules plus React's hook rules for the app's components. */
export default [
  ...root,
  { ignores: [".next/**", "next-env.d.ts"] },
  {
    files: ["**/*.tsx"],
    plugins: { "react-hooks": reactHooks },
    rules: reactHooks.configs.recommended.rules,
  },
  {
    files: ["components/**/*.tsx"],
    languageOptions: { globals: { window: "readonly", document: "readonly" } },
  },
];
