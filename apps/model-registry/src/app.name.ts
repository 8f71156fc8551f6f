/** The app's name in logs, metrics, events and the OpenAPI document. */
export const APP_NAME = 'model-registry';
