import { describe, expect, it } from 'vitest';
import { isForbiddenCrossSiteForm } from './csrf';

const url = new URL('https://parley.test/api/contracts/1/attachments');
const post = (headers: Record<string, string>, path = url) =>
	isForbiddenCrossSiteForm(new Request(path, { method: 'POST', headers }), path);

describe('isForbiddenCrossSiteForm', () => {
	it('refuses a form post from another origin or with no Origin', () => {
		expect(
			post({ 'content-type': 'multipart/form-data; boundary=x', origin: 'https://evil.test' })
		).toBe(true);
		expect(post({ 'content-type': 'application/x-www-form-urlencoded' })).toBe(true);
		expect(post({ 'content-type': 'text/plain', origin: 'null' })).toBe(true);
	});

	it('lets the same origin, JSON and safe methods through', () => {
		expect(post({ 'content-type': 'multipart/form-data', origin: 'https://parley.test' })).toBe(
			false
		);
		expect(post({ 'content-type': 'application/json', origin: 'https://evil.test' })).toBe(false);
		expect(isForbiddenCrossSiteForm(new Request(url), url)).toBe(false);
	});

	it('lets an API token upload without an Origin (a cross-site form cannot set Authorization)', () => {
		expect(
			post({ 'content-type': 'multipart/form-data; boundary=x', authorization: 'Bearer pat_x' })
		).toBe(false);
	});

	it('lets the unsubscribe and inbound email hooks through', () => {
		expect(
			post(
				{ 'content-type': 'application/x-www-form-urlencoded' },
				new URL('https://parley.test/unsubscribe/abc')
			)
		).toBe(false);
		expect(
			post({ 'content-type': 'text/plain' }, new URL('https://parley.test/api/inbound/mime'))
		).toBe(false);
	});
});
