/** vitest setup file: each test file's temp directories go when the file is done. */
import { afterAll } from 'vitest';
import { removeTempDirs } from './temp.js';

afterAll(removeTempDirs);
