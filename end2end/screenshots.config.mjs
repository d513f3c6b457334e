// Not a test suite: refreshes the pictures in docs/ from the real dashboard (`cargo xtask
// screenshots`). Same server and browser set-up as the browser tests.
import base from './playwright.config.mjs';
import { defineConfig } from '@playwright/test';

export default defineConfig({
  ...base,
  testDir: './screenshots',
  use: { ...base.use, viewport: { width: 1280, height: 860 } },
});
